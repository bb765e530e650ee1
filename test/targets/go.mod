module mstatbridge/targets

go 1.19
