/* fuzz_template.c: template compile and render (first byte: mode and flags). */
#include "fuzz.h"
#include "template.h"
#include "util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct template_error err = {0, NULL};
	struct template_env env;
	struct template *t;
	struct sbuf out = SBUF_INIT;
	char *text;
	unsigned mode;

	if (!size)
		return 0;
	util_verbosity = 0;
	mode = data[0];
	text = xstrndup((const char *)data + 1, size - 1);
	t = template_compile(text, mode & 1 ? TEMPLATE_EXPR : TEMPLATE_TEXT, &err);
	free(err.message);
	if (t) {
		template_env_init(&env);
		env.occ = fuzz_occurrence();
		env.key = "fuzz-1@example.test#20240301T093000Z";
		sbuf_init(&out);
		template_render(t, &env, mode & 2 ? TEMPLATE_AUTOESCAPE : 0, &out);
		sbuf_release(&out);
		template_env_release(&env);
		template_free(t);
	}
	free(text);
	return 0;
}
