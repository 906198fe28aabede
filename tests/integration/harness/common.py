"""Paths, bounded waiting, free ports and the YAML config writer."""

import json
import os
import socket
import time

# tests/integration, the folder above this package.
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def nexus_bin():
    return os.path.abspath(os.environ.get("NEXUS_BIN") or
                           os.path.join(HERE, "..", "..", "build", "release", "nexus"))


def shared_dir():
    return os.path.abspath(os.environ.get("NEXUS_SHARED_DIR") or
                           os.path.join(HERE, "..", "..", "..", "shared"))


def wait_until(predicate, timeout=5.0, interval=0.01):
    """Polls predicate() until it returns a truthy value (returned) or timeout passes (returns it)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def read_json_lines(path):
    """The JSON objects of a JSON-lines file (an access log), [] while it does not exist."""
    try:
        with open(path) as f:
            return [json.loads(line) for line in f.read().splitlines() if line.strip()]
    except FileNotFoundError:
        return []


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(port, timeout=0.2):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# YAML config
# --------------------------------------------------------------------------------------------

def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(obj, indent=0):
    """Block-style YAML for dicts; list items that are mappings are written in JSON flow style."""
    pad = " " * indent
    lines = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, dict) and v:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 2))
            elif isinstance(v, list) and v:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 2))
            elif isinstance(v, (dict, list)):
                lines.append(f"{pad}{k}: {json.dumps(v)}")
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, (dict, list)):
                lines.append(f"{pad}- {json.dumps(item)}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(pad + _scalar(obj))
    return "\n".join(lines)


def make_config(port, clusters=None, routes=None, limits=None, timeouts=None, workers=1,
                logging=None, listen=None):
    server = {"listen": listen or [f"127.0.0.1:{port}"], "workers": workers}
    if limits:
        server["limits"] = limits
    if timeouts:
        server["timeouts"] = timeouts
    cfg = {"server": server, "clusters": clusters or {}, "routes": routes or []}
    cfg["logging"] = logging or {"level": "info", "access_log": {"enabled": True, "path": "stdout"}}
    return cfg


def cluster(*upstreams, **extra):
    eps = [u if isinstance(u, (str, dict)) else u.address for u in upstreams]
    return dict({"endpoints": eps}, **extra)


