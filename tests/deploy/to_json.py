"""Prints the YAML documents of each file given as one JSON array per file (a JSON array of them), for
`cargo xtask deploy-check`, which has no YAML parser of its own. Merge keys (`<<: *server`) are resolved."""
import json
import sys

import yaml

print(json.dumps([list(yaml.safe_load_all(open(path, encoding="utf-8"))) for path in sys.argv[1:]]))
