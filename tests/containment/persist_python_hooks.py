# family: persistence
# attack: plant Python start-up hooks (usercustomize in ~/.local, sitecustomize, .pth, __pycache__) for the next run to execute
# expect: ok
# pair: yes
import builtins, importlib.util, os, subprocess, sys, time

role = sys.stdin.readline().strip()
if getattr(builtins, "__nsjudge_corpus_hook__", None):
    print(f"ESCAPED a hook planted by another run executed at this run's start-up: {builtins.__nsjudge_corpus_hook__}")
for mod in ("usercustomize", "sitecustomize", "nsjudge_corpus_planted"):
    spec = importlib.util.find_spec(mod)
    if spec and spec.origin and "nsjudge" in open(spec.origin).read():
        print(f"ESCAPED {mod} planted by another run is importable: {spec.origin}")
if role == "1":
    time.sleep(0.4)  # copy 0 plants first; a shared /tmp would show it now
HOOK = f"import builtins; builtins.__nsjudge_corpus_hook__ = 'copy {role} pid {os.getpid()}'  # nsjudge\n"
user_site = os.path.expanduser("~/.local/lib/python%d.%d/site-packages" % sys.version_info[:2])
targets = [os.path.join(user_site, "usercustomize.py"), os.path.join(user_site, "nsjudge-corpus.pth"),
           os.path.join(user_site, "nsjudge_corpus_planted.py"),
           "/usr/lib/python3.11/sitecustomize.py", "/usr/lib/python3/dist-packages/nsjudge_corpus_planted.pth",
           "/usr/lib/python3.11/__pycache__/nsjudge_corpus_planted.cpython-311.pyc", "/code/sitecustomize.py"]
for p in targets:
    if os.path.exists(p) and "nsjudge" in open(p, errors="replace").read():
        print(f"ESCAPED {p} was already planted by another run")
        continue
    try:
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(HOOK if not p.endswith(".pth") else HOOK.split("  #")[0] + "\n")
        print(f"planted {p}")
    except OSError as e:
        print(f"{p}: {e.strerror}")
# Within this run the hook works (proves the plant is real); it must not reach the next run.
r = subprocess.run([sys.executable, "-c", "import builtins; print(getattr(builtins, '__nsjudge_corpus_hook__', None))"],
                   capture_output=True, text=True)
print(f"a new interpreter in this run sees the hook: {r.stdout.strip()}")
