#!/bin/sh
# Run the broker in the foreground as the rabbitmq user. RABBITMQ_DEFAULT_USER and
# RABBITMQ_DEFAULT_PASS, when set, replace guest/guest as in the official image.
set -eu

if [ "$1" = rabbitmq-server ] && [ "$(id -u)" = 0 ]; then
    if [ -n "${RABBITMQ_DEFAULT_USER:-}" ]; then
        echo "default_user = $RABBITMQ_DEFAULT_USER" >> /etc/rabbitmq/rabbitmq.conf
    fi
    if [ -n "${RABBITMQ_DEFAULT_PASS:-}" ]; then
        echo "default_pass = $RABBITMQ_DEFAULT_PASS" >> /etc/rabbitmq/rabbitmq.conf
    fi
    chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
        /usr/lib/rabbitmq/bin/rabbitmq-server
fi

exec "$@"
