"""Settings for every test and doctest, loaded before anything is collected."""

import os

# LiteLLM fetches its model price map from the network when imported unless told to
# use the copy it ships; the suite never reaches the network.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
