// expect: ok
// stdout: procs=1 pid1=hidden
// The pid namespace and hidepid=invisible: the program sees only itself
// (node's threads are not /proc entries), not the sandbox's init (pid 1)
// nor any host process.
const fs = require("fs");
const n = fs.readdirSync("/proc").filter((e) => /^[0-9]+$/.test(e)).length;
console.log("procs=" + n + " pid1=" + (fs.existsSync("/proc/1") ? "visible" : "hidden"));
