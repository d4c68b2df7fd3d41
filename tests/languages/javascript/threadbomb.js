// expect: runtime_error
// exit: 1
// limits: --pids 16 --wall 30
// A thread bomb (JavaScript has no fork: worker_threads are its threads).
// At pids.max, new Worker throws EAGAIN; uncaught, node exits with 1.
const { Worker } = require("worker_threads");
for (;;) new Worker("setTimeout(() => {}, 10000)", { eval: true });
