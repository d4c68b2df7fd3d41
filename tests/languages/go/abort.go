// expect: runtime_error
// signal: 6
// GOTRACEBACK=crash makes a fatal panic end in a real signal: the runtime
// re-raises SIGABRT after the traceback.
package main

import "runtime/debug"

func main() {
	debug.SetTraceback("crash")
	panic("crash")
}
