# family: syscalls
# attack: new namespaces by every door: unshare (each flag), setns, clone with CLONE_NEW* flags, clone3
# expect: ok
import ctypes, errno, os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
FLAGS = {"NEWNS": 0x20000, "NEWCGROUP": 0x2000000, "NEWUTS": 0x4000000, "NEWIPC": 0x8000000,
         "NEWUSER": 0x10000000, "NEWPID": 0x20000000, "NEWNET": 0x40000000, "NEWTIME": 0x80}

def sc(name, nr, *args):
    ctypes.set_errno(0)
    rc = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    e = ctypes.get_errno()
    return rc, errno.errorcode.get(e, e)

for name, flag in FLAGS.items():
    pid = os.fork()
    if pid == 0:  # in a child, so that a success changes nothing for the rest
        rc, e = sc("unshare", 272, flag)
        print(f"ESCAPED unshare(CLONE_{name}) succeeded" if rc == 0 else f"unshare(CLONE_{name}): {e}", flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
for ns in ("net", "mnt", "user", "pid", "uts", "ipc", "cgroup"):
    try:
        fd = os.open(f"/proc/self/ns/{ns}", os.O_RDONLY)
    except OSError as e:
        print(f"open /proc/self/ns/{ns}: {e.strerror}")
        continue
    rc, e = sc("setns", 308, fd, 0)
    print(f"ESCAPED setns({ns}) succeeded" if rc == 0 else f"setns({ns}): {e}")
    os.close(fd)
for name in ("NEWUSER", "NEWNET", "NEWPID", "NEWNS", "NEWUSER|NEWNET"):
    flags = 17  # SIGCHLD
    for part in name.split("|"):
        flags |= FLAGS[part]
    rc, e = sc("clone", 56, flags, 0, None, None, 0)
    if rc == 0:
        os._exit(0)  # the child: leave at once
    if rc > 0:
        os.waitpid(rc, 0)
        print(f"ESCAPED clone(CLONE_{name}) made a child")
    else:
        print(f"clone(CLONE_{name}): {e}")
args = (ctypes.c_uint64 * 11)(FLAGS["NEWUSER"], 0, 0, 0, 17, 0, 0, 0, 0, 0, 0)
rc, e = sc("clone3", 435, args, 88)
if rc == 0:
    os._exit(0)
print(f"ESCAPED clone3(CLONE_NEWUSER) made a child" if rc > 0 else f"clone3(CLONE_NEWUSER): {e}")
if rc > 0:
    os.waitpid(rc, 0)
