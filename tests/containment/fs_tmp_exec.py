# family: filesystem
# attack: execute files dropped in /tmp and /dev/shm (noexec): a script, a copied binary, the ld.so trick, mmap PROT_EXEC
# expect: ok
import mmap, os, shutil, subprocess

def run(what, argv):
    try:
        r = subprocess.run(argv, capture_output=True, timeout=5)
        out = (r.stdout + r.stderr).decode(errors="replace").strip().splitlines()
        if b"RAN-FROM-NOEXEC" in r.stdout:
            print(f"ESCAPED {what}: it ran")
        else:
            print(f"{what}: exit {r.returncode}: {out[-1] if out else ''}")
    except OSError as e:
        print(f"{what}: {e.__class__.__name__} {e.strerror}")

for d in ("/tmp", "/dev/shm"):
    script = f"{d}/run.py"
    with open(script, "w") as f:
        f.write("#!/usr/bin/python3\nprint('RAN-FROM-NOEXEC')\n")
    os.chmod(script, 0o755)
    run(f"exec script {script}", [script])
    binary = f"{d}/py"
    shutil.copy("/usr/bin/python3", binary)
    os.chmod(binary, 0o755)
    run(f"exec copied binary {binary}", [binary, "-c", "print('RAN-FROM-NOEXEC')"])
    run(f"ld.so {binary}", ["/lib64/ld-linux-x86-64.so.2", binary, "-c", "print('RAN-FROM-NOEXEC')"])
    with open(binary, "rb") as f:
        try:
            m = mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ | mmap.PROT_EXEC)
            m.close()
            print(f"ESCAPED mapped {binary} PROT_EXEC")
        except OSError as e:
            print(f"mmap PROT_EXEC {binary}: {e.strerror}")
    os.unlink(binary)

# Not a file in /tmp, reported only: an anonymous memfd is on no noexec mount.
# Code execution inside the sandbox is no escape (ctypes runs machine code
# in-process anyway); the other layers still hold for it.
fd = os.memfd_create("x", 0)
with open("/usr/bin/python3", "rb") as f:
    os.write(fd, f.read())
try:
    r = subprocess.run([f"/proc/self/fd/{fd}", "-c", "import os; print(os.getuid())"], pass_fds=(fd,),
                       capture_output=True, timeout=5)
    print(f"note: memfd exec allowed (exit {r.returncode}, uid {r.stdout.decode().strip()})")
except OSError as e:
    print(f"memfd exec: {e.strerror}")
