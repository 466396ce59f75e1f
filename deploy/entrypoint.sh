#!/bin/sh
# The image's entry point: `noodwijzer ROLE [extra arguments]` starts one part.
# Ports and addresses come from the NW_* environment (bot/settings.py); extra
# arguments go last, so `rasa --endpoints /etc/noodwijzer/endpoints.yml` wins.
set -eu

role="${1:-gateway}"
[ "$#" -gt 0 ] && shift

case "$role" in
  gateway)
    exec python -m bot.gateway "$@"
    ;;
  nlg)
    exec python -m bot.nlg.server "$@"
    ;;
  actions)
    # rasa_sdk listens on SANIC_HOST: loopback unless NW_ACTIONS_HOST names the pod's address.
    SANIC_HOST="${NW_ACTIONS_HOST:-127.0.0.1}"
    export SANIC_HOST
    exec python -m rasa_sdk --actions actions -p "${NW_ACTIONS_PORT:-5055}" --quiet "$@"
    ;;
  rasa)
    # The model trained at build time (Dockerfile, stage "model"); there is exactly one.
    model=$(find /app/models -name 'nw-*.tar.gz' | head -n 1)
    # NW_RASA_TOKEN guards Rasa's API through credentials.yml (bot_rasa/api_guard.py).
    exec python -m bot_rasa.launch run --enable-api -i 0.0.0.0 -p "${NW_RASA_PORT:-5005}" \
      --model "$model" --endpoints endpoints.yml --credentials credentials.yml --quiet "$@"
    ;;
  *)
    echo "noodwijzer: unknown role '$role' (use gateway, rasa, actions or nlg)" >&2
    exit 64
    ;;
esac
