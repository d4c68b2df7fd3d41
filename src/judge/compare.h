/* Comparing a program's output with the expected output (rule in compare.c). */
#ifndef NSJ_JUDGE_COMPARE_H
#define NSJ_JUDGE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

/* Do the two texts match under the judge's rule? */
bool judge_output_matches(const char *got, size_t got_len, const char *want, size_t want_len);

/* The first line (1-based) where they differ under the rule; 0 when they match. */
size_t judge_output_diff_line(const char *got, size_t got_len, const char *want, size_t want_len);

/* The same for an expected output in a file, read a buffer at a time (the
 * program's output is in memory, bounded by its output limit): 0 and *line
 * (0 = they match), or <0 when the file cannot be read. */
int judge_output_diff_line_fd(const char *got, size_t got_len, int want_fd, size_t *line);

#endif
