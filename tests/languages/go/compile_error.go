// expect: compile_error
package main

import "fmt"

func main() {
	var x int = "not an int"
	fmt.Println(y)
}
