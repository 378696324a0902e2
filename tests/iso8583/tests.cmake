# Included from tests/CMakeLists.txt: the ISO 8583 server test (real binary over TCP), the
# end-to-end test with the npm iso_8583 client (both on each engine, with the API test harness),
# and the libFuzzer decoder run.

add_library(iso8583_test_harness OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/api/harness.cc ${cardcore_engine_main})
target_link_libraries(iso8583_test_harness PRIVATE cardcore_http cardcore_test_engine)
target_precompile_headers(iso8583_test_harness REUSE_FROM cardcore_http)
target_compile_definitions(iso8583_test_harness PRIVATE CARDCORE_BINARY="$<TARGET_FILE:cardcore>")

add_executable(iso8583_server_tests ${CMAKE_CURRENT_SOURCE_DIR}/iso8583/server_test.cc
                                    $<TARGET_OBJECTS:iso8583_test_harness>)
target_link_libraries(iso8583_server_tests PRIVATE cardcore_iso8583 cardcore_http cardcore_test_engine)
target_precompile_headers(iso8583_server_tests REUSE_FROM cardcore_http)
target_compile_definitions(iso8583_server_tests PRIVATE CARDCORE_BINARY="$<TARGET_FILE:cardcore>")
add_dependencies(iso8583_server_tests cardcore)
cardcore_discover_on_each_engine(iso8583_server_tests TIMEOUT 300)

# The npm iso_8583 client (tests/e2e/iso8583_client.js) against the real server.
add_executable(iso8583_e2e_tests ${CMAKE_CURRENT_SOURCE_DIR}/iso8583/e2e_node_test.cc
                                 $<TARGET_OBJECTS:iso8583_test_harness>)
target_link_libraries(iso8583_e2e_tests PRIVATE cardcore_iso8583 cardcore_http cardcore_test_engine)
target_precompile_headers(iso8583_e2e_tests REUSE_FROM cardcore_http)
target_compile_definitions(iso8583_e2e_tests PRIVATE CARDCORE_BINARY="$<TARGET_FILE:cardcore>"
                                                     CARDCORE_E2E_DIR="${CMAKE_SOURCE_DIR}/tests/e2e")
add_dependencies(iso8583_e2e_tests cardcore)
cardcore_discover_on_each_engine(iso8583_e2e_tests TIMEOUT 300)

# libFuzzer target for the decoder. GCC has no libFuzzer, so it is built with clang as a custom
# command (clang and libclang-rt-14-dev come from scripts/setup); without them it is skipped
# with a configure message. CTest runs it for 20 s on a scratch corpus seeded from fuzz/corpus.
find_program(CARDCORE_CLANGXX NAMES clang++ clang++-14)
if(CARDCORE_CLANGXX)
  set(fuzz_flags -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
                 -I${CMAKE_SOURCE_DIR}/fuzz/compat -I${CMAKE_SOURCE_DIR}/src)
  set(fuzz_probe ${CMAKE_BINARY_DIR}/fuzz-probe.cc)
  file(WRITE ${fuzz_probe} "#include <cstdint>\n#include <cstddef>\nextern \"C\" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n")
  execute_process(COMMAND ${CARDCORE_CLANGXX} -fsanitize=fuzzer,address ${fuzz_probe} -o ${CMAKE_BINARY_DIR}/fuzz-probe
                  RESULT_VARIABLE fuzz_probe_rc OUTPUT_QUIET ERROR_QUIET)
endif()
if(CARDCORE_CLANGXX AND fuzz_probe_rc EQUAL 0)
  set(fuzz_bin ${CMAKE_BINARY_DIR}/iso8583_decode_fuzz)
  add_custom_command(OUTPUT ${fuzz_bin}
    COMMAND ${CARDCORE_CLANGXX} ${fuzz_flags} ${CMAKE_SOURCE_DIR}/fuzz/iso8583_decode_fuzz.cc
            ${CMAKE_SOURCE_DIR}/src/iso8583/codec.cc -o ${fuzz_bin}
    DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/iso8583_decode_fuzz.cc ${CMAKE_SOURCE_DIR}/src/iso8583/codec.cc
            ${CMAKE_SOURCE_DIR}/src/iso8583/codec.h ${CMAKE_SOURCE_DIR}/src/domain/error.h
            ${CMAKE_SOURCE_DIR}/fuzz/compat/expected
    COMMENT "Building the libFuzzer target iso8583_decode_fuzz with clang")
  add_custom_target(iso8583_decode_fuzz ALL DEPENDS ${fuzz_bin})
  set(fuzz_scratch ${CMAKE_BINARY_DIR}/fuzz-corpus/iso8583_decode)
  add_test(NAME iso8583_decode_fuzz
           COMMAND sh -c "mkdir -p '${fuzz_scratch}' && exec '${fuzz_bin}' -max_total_time=20 -rss_limit_mb=2048 -print_final_stats=1 '${fuzz_scratch}' '${CMAKE_SOURCE_DIR}/fuzz/corpus/iso8583_decode'")
  set_tests_properties(iso8583_decode_fuzz PROPERTIES TIMEOUT 120)
else()
  message(STATUS "iso8583_decode_fuzz: clang++ with libFuzzer not found; the fuzz test is not built (scripts/setup installs it)")
endif()
