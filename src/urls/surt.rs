//! SURT (Sort-friendly URI Reordering Transform) keys, as pywb computes them.
