"""Tier 4: build and run the generated services' images for real.

Run it alone, in one process:  uv run pytest -m containers -p no:xdist

- engine.py: reuses a running Docker daemon, or (as root) installs Debian's docker.io,
  docker-compose and debootstrap through .ci/install-container-engine, starts dockerd
  and stops that process at the end.
- base_images.py: official base images when a registry answers, otherwise local
  stand-ins built from images/ and kept in the daemon, tagged template-ci/*:<recipe
  hash>, so only the first run pays for them. CONTAINERS_BASE_IMAGES=local|official
  skips the registry probe.
- override.py: stand-ins reach the generated Dockerfile and compose.yaml through build
  arguments and a compose override file only; the generated files stay untouched.
- test_image.py, test_stack.py: the default and minimal variants' images, then the
  default variant's whole compose stack. Sizes and timings are printed at the end of
  the run and written to bench/out/containers.json.

To reclaim the disk (the stack's image is the generated compose file's web `image:`):
    docker rmi $(docker images -q -f reference='template-ci*' -f reference='template-ci/*')
"""
