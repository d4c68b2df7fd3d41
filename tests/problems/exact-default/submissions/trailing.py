# trailing blanks and blank lines are forgiven by the exact rule
print(input() + "  \r\n\n")
