// expect: runtime_error
// exit: 1
// An uncaught exception: node prints the stack and exits with 1 (a null
// dereference in JavaScript is a TypeError, never a signal).
const o = null;
console.log(o.field);
