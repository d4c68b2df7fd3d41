# family: filesystem
# attack: change the submission in /code (overwrite main.py, add files, chmod, rename, remount)
# expect: ok
import os

def attempt(what, fn):
    try:
        fn()
        print(f"ESCAPED {what}")
    except OSError as e:
        print(f"{what}: {e.strerror}")

def overwrite():
    with open("/code/main.py", "a") as f:
        f.write("# pwned\n")

def create():
    with open("/code/extra.py", "w") as f:
        f.write("print('planted')\n")

attempt("appended to /code/main.py", overwrite)
attempt("created /code/extra.py", create)
attempt("made /code/sub", lambda: os.mkdir("/code/sub"))
attempt("chmod /code/main.py", lambda: os.chmod("/code/main.py", 0o777))
attempt("renamed /code/main.py", lambda: os.rename("/code/main.py", "/code/moved.py"))
attempt("unlinked /code/main.py", lambda: os.unlink("/code/main.py"))
attempt("symlinked in /code", lambda: os.symlink("/tmp", "/code/link"))
attempt("utime /code/main.py", lambda: os.utime("/code/main.py", (0, 0)))
attempt("created /code/__pycache__", lambda: os.mkdir("/code/__pycache__"))
