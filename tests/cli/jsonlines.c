/* SPDX-License-Identifier: GPL-2.0-only */
/* Test helper: exit 0 if every line of standard input is one JSON object. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int nr = 0;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_tokener *tok = json_tokener_new();
		json_object *o;
		int len;

		nr++;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		len = (int)strlen(line);
		/* strict JSON in valid UTF-8, and nothing after the object */
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		o = json_tokener_parse_ex(tok, line, len);
		if (!o || !json_object_is_type(o, json_type_object) ||
		    json_tokener_get_parse_end(tok) != (size_t)len) {
			fprintf(stderr, "line %d is not one JSON object: %.200s\n", nr, line);
			return 1;
		}
		json_object_put(o);
		json_tokener_free(tok);
	}
	free(line);
	return nr ? 0 : 1;
}
