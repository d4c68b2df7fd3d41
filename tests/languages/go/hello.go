// expect: passed
// want: hello, world
package main

import "fmt"

func main() { fmt.Println("hello, world") }
