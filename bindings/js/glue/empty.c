/* The JS module target needs one source; the engine comes from libstrata.a. */
typedef int strata_js_empty_translation_unit;
