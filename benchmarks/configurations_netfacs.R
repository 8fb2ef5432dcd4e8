# NetFACS 0.5.1 on the bundled CK+ codes, for benchmarks/configurations.py --netfacs.
# Usage: Rscript configurations_netfacs.R units.csv out.csv MAX_SIZE RAN_TRIALS
# units.csv: one row per unit, AU columns (0/1) and an 'expression' column.
# Writes, per expression (test.condition, against all others), NetFACS's combination table.
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages(library(NetFACS))
d <- read.csv(args[1], check.names = FALSE)
cond <- d$expression
m <- as.matrix(d[, setdiff(colnames(d), "expression")])
set.seed(1)
out <- NULL
for (e in sort(unique(cond))) {
  r <- netfacs(data = m, condition = cond, test.condition = e, null.condition = NULL,
               ran.trials = as.integer(args[4]), combination.size = as.integer(args[3]),
               use_parallel = FALSE)$result
  r$expression <- e
  out <- rbind(out, r[, c("expression", "combination", "combination.size", "count", "observed.prob",
                          "expected.prob", "pvalue")])
}
write.csv(out, args[2], row.names = FALSE)
