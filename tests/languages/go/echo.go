// expect: passed
// stdin: one\ntwo words\n\nthree\n
// want: one\ntwo words\n\nthree
package main

import (
	"io"
	"os"
)

func main() { io.Copy(os.Stdout, os.Stdin) }
