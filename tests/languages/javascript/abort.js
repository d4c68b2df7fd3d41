// expect: runtime_error
// signal: 6
// process.abort() calls abort(3): the process dies by SIGABRT.
process.abort();
