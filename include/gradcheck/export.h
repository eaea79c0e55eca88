/* gradcheck/export.h: GC_EXPORT marks the library's API.  libgradcheck is
 * built with hidden symbol visibility (meson gnu_symbol_visibility), so
 * only what the headers in include/gradcheck/ declare with GC_EXPORT is
 * exported from the shared library; everything else stays internal. */
#ifndef GRADCHECK_EXPORT_H
#define GRADCHECK_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define GC_EXPORT __attribute__((visibility("default")))
#else
#define GC_EXPORT
#endif

#endif /* GRADCHECK_EXPORT_H */
