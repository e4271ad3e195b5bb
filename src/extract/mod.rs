//! Link discovery: which HTML attributes and CSS constructs carry URLs (one table, shared with the mirror rewriter), and finding them with their byte positions.
