/* The file set's MANIFEST.tsv (path, size, CRC-32 per file), loaded for checking reply bodies. */
#ifndef MANIFEST_H
#define MANIFEST_H

#include <stddef.h>
#include <stdint.h>

struct mf_entry {
	char *path; /* relative to the document root, no leading slash */
	uint64_t size;
	uint32_t crc32;
};

struct mf_manifest {
	struct mf_entry *entries;
	size_t n;
	int32_t *table; /* open-addressing index into entries, -1 = empty */
	size_t mask;
};

/* Loads ROOT/MANIFEST.tsv; on error returns -1 with the reason in err. */
int mf_load(const char *root, struct mf_manifest *m, char *err, size_t errlen);
/* The entry for a request URI ("/dir00001/class1_3"), or NULL. */
const struct mf_entry *mf_find(const struct mf_manifest *m, const char *uri);
void mf_free(struct mf_manifest *m);

#endif
