# cmake/Warnings.cmake
#     The warning set for centra-bridge (STYLE.md item 14), modelled on
#     pgBackRest's list.  Each flag is added only if the compiler knows it
#     (-Wmissing-variable-declarations is clang's, and GCC's only from 14).
include(CheckCCompilerFlag)

set(CB_WARNING_CANDIDATES
    -Wall
    -Wextra
    -Wconversion
    -Wformat=2
    -Wmissing-prototypes
    -Wstrict-prototypes
    -Wmissing-variable-declarations
    -Wvla
    -Wwrite-strings
    -Wcast-qual
    -Wduplicated-cond
    -Wduplicated-branches
    -Wold-style-definition
    -Wpointer-arith
    -Wundef
    -Wshadow
    -Wimplicit-fallthrough
)

set(CB_WARNING_FLAGS "")
foreach(flag IN LISTS CB_WARNING_CANDIDATES)
    string(MAKE_C_IDENTIFIER "HAVE_FLAG${flag}" var)
    check_c_compiler_flag("${flag}" ${var})
    if(${var})
        list(APPEND CB_WARNING_FLAGS "${flag}")
    endif()
endforeach()

if(ENABLE_WERROR)
    list(APPEND CB_WARNING_FLAGS -Werror)
endif()

# cb_apply_warnings(target): give a target of ours the warning set.
function(cb_apply_warnings target)
    target_compile_options(${target} PRIVATE ${CB_WARNING_FLAGS})
endfunction()
