# family: side-channel
# attack: two concurrent runs pass a secret through the kernel keyring (add_key in copy 0, keyctl search in copy 1)
# expect: ok
# pair: yes
import ctypes, errno, sys, time

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
KEY_SPEC_USER_KEYRING = -4
KEYCTL_SET_TIMEOUT, KEYCTL_SEARCH, KEYCTL_READ, KEYCTL_INVALIDATE = 15, 10, 11, 21

def sc(*args):
    ctypes.set_errno(0)
    rc = libc.syscall(*[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return rc, errno.errorcode.get(ctypes.get_errno(), "0")

role = sys.stdin.readline().strip()
if role == "0":
    key, e = sc(248, b"user", b"nsjudge-corpus-key", b"secret-from-copy-0", 18, KEY_SPEC_USER_KEYRING)
    print(f"add_key to the user keyring: {key if key >= 0 else e}")
    if key >= 0:
        sc(250, KEYCTL_SET_TIMEOUT, key, 10)  # never outlives the test for long
        time.sleep(2)
        sc(250, KEYCTL_INVALIDATE, key)
else:
    deadline, result = time.time() + 1.7, None
    while time.time() < deadline:
        key, e = sc(250, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, b"user", b"nsjudge-corpus-key", 0)
        if key >= 0:
            buf = ctypes.create_string_buffer(64)
            sc(250, KEYCTL_READ, key, buf, 64)
            print(f"ESCAPED found the other run's key {key}: {buf.value!r}")
            break
        result = e
        time.sleep(0.05)
    else:
        print(f"keyctl search: {result}")
    key, e = sc(249, b"user", b"nsjudge-corpus-key", None, 0)
    print(f"request_key: {key if key >= 0 else e}")
