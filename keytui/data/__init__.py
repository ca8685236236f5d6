"""Keys in and out: corpora, keyboard layouts, vocab, files, paths, history, metrics."""
