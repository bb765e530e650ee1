module mstatbridge/bench/scale

go 1.19
