// expect: memory_limit
// limits: --memory 64m
// "fatal error: runtime: out of memory" from Go's runtime itself.
package main

import "fmt"

func main() {
	b := make([]byte, 1<<42)
	b[0] = 1
	fmt.Println(len(b))
}
