"""What backs `socialflow bench`: throughput on synthetic inputs of production shape, made by
socialflow_demo.samples (so the benchmarks need the `demo` extra)."""
