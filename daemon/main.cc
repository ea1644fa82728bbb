#include <cstdio>

int main() {
  std::fprintf(stderr, "canond: not built yet\n");
  return 2;
}
