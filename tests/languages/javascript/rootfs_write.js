// expect: ok
// stdout: root=readonly
// The rootfs and /code are read-only; only /tmp is writable.
const fs = require("fs");
let ok = true;
for (const path of ["/etc/x", "/usr/x", "/x", "/code/x"]) {
    try {
        fs.writeFileSync(path, "x");
        ok = false;
    } catch (e) {}
}
fs.writeFileSync("/tmp/x", "x");
console.log("root=" + (ok ? "readonly" : "writable"));
