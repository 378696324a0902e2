// main() of every test binary that runs once per engine (tests/support/test_engine.h).
#include "test_engine.h"

int main(int argc, char** argv) { return testsupport::engine_main(argc, argv); }
