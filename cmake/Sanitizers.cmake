# cmake/Sanitizers.cmake
#     -DENABLE_SANITIZERS=address;undefined   every finding is fatal
#     -DENABLE_COVERAGE=ON                    gcov instrumentation (gcovr reads it)
if(ENABLE_SANITIZERS)
    string(REPLACE ";" "," _cb_sanitizers "${ENABLE_SANITIZERS}")
    add_compile_options(-fsanitize=${_cb_sanitizers} -fno-sanitize-recover=all
                        -fno-omit-frame-pointer -g)
    add_link_options(-fsanitize=${_cb_sanitizers})
endif()

if(ENABLE_COVERAGE)
    # Atomic counters: centra-sim serves each connection on its own thread, and racing
    # increments leave counts gcovr cannot read.
    add_compile_options(--coverage -fprofile-update=atomic -O0 -g)
    add_link_options(--coverage -fprofile-update=atomic)
endif()
