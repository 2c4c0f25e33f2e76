# strata.mjs + strata.wasm for the JS package (bindings/js/dist/<variant>/).
# The module exports the C API functions listed in bindings/js/exports.txt.
set(STRATA_JS_VARIANT "st" CACHE STRING "output folder name under bindings/js/dist")
if(STRATA_THREADS)
  set(STRATA_JS_VARIANT "mt" CACHE STRING "" FORCE)
endif()
set(STRATA_JS_OUT "${CMAKE_SOURCE_DIR}/bindings/js/dist/${STRATA_JS_VARIANT}")

file(STRINGS "${CMAKE_SOURCE_DIR}/bindings/js/exports.txt" strata_js_exports REGEX "^_")
# read at configure time: an edit to the list re-runs the configure step
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/bindings/js/exports.txt")
string(JOIN "," strata_js_export_list ${strata_js_exports} _malloc _free)

# The glue in bindings/js/c: the JS-backed VFS (its imports come from library_strata_host.js) and
# the flat entry points the package calls; and the storage conformance suite, which
# strata_js_vfs_check (vfs_check.c) runs against the JS hosts.
file(GLOB strata_js_sources CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/bindings/js/c/*.c")
add_executable(strata_js ${strata_js_sources} "${CMAKE_SOURCE_DIR}/tests/c/vfs_conformance.c")
target_link_libraries(strata_js PRIVATE strata)
target_include_directories(strata_js PRIVATE "${CMAKE_SOURCE_DIR}/src" "${CMAKE_SOURCE_DIR}/bindings/js/c"
  "${CMAKE_SOURCE_DIR}/tests/c")
target_compile_options(strata_js PRIVATE ${STRATA_WARNINGS})
set_target_properties(strata_js PROPERTIES OUTPUT_NAME strata SUFFIX ".mjs"
  RUNTIME_OUTPUT_DIRECTORY "${STRATA_JS_OUT}")
set_property(TARGET strata_js APPEND PROPERTY LINK_DEPENDS
  "${CMAKE_SOURCE_DIR}/bindings/js/exports.txt"
  "${CMAKE_SOURCE_DIR}/bindings/js/glue/module-pre.js"
  "${CMAKE_SOURCE_DIR}/bindings/js/glue/node-pre.js"
  "${CMAKE_SOURCE_DIR}/bindings/js/c/library_strata_host.js")
target_link_options(strata_js PRIVATE
  -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createStrataModule
  # One module for Node, browser pages and workers (the browser entry runs it in a dedicated
  # worker); it imports nothing, its Node needs come from the loader (glue/module-pre.js).
  -sENVIRONMENT=web,worker,node
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16777216
  -sWASM_BIGINT=1 # 64-bit integers cross as BigInt instead of split halves
  # No process.on('uncaughtException' / 'unhandledRejection') per instance: each open would add
  # a listener pair whose closures keep that instance (and its wasm memory) alive for good.
  -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0
  "-sEXPORTED_FUNCTIONS=${strata_js_export_list}"
  "-sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8"
  "SHELL:--js-library ${CMAKE_SOURCE_DIR}/bindings/js/c/library_strata_host.js"
  "SHELL:--pre-js ${CMAKE_SOURCE_DIR}/bindings/js/glue/module-pre.js"
  "SHELL:--pre-js ${CMAKE_SOURCE_DIR}/bindings/js/glue/node-pre.js")
if(STRATA_THREADS)
  # One pool worker per background thread the engine starts (flush + compaction), plus headroom.
  target_link_options(strata_js PRIVATE -sPTHREAD_POOL_SIZE=4 -Wno-pthreads-mem-growth)
  # Emscripten's pthread worker script is CommonJS; keep it so beside an ES-module package.
  file(WRITE "${STRATA_JS_OUT}/package.json" "{ \"type\": \"commonjs\" }\n")
endif()

