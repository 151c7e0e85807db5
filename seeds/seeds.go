// Package seeds embeds the corpus shipped with the binary: the default policy
// documents and the lexicon (domain dictionary and synonyms) used for Chinese
// segmentation.
package seeds

import "embed"

// Documents holds the default policy documents (*.txt at the top of this folder).
//
//go:embed *.txt
var Documents embed.FS
