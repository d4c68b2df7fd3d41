// expect: runtime_error
// exit: 3
package main

import "os"

func main() { os.Exit(3) }
