#!/usr/bin/env bash
# Command-line behaviour of bench: every bad flag and every unusable --data exits 2 with a
# message naming the flag or file and what was expected; tiny runs on synthetic data print the
# JSON fields the benchmark notes rely on (with --sgemm-bound too). Speed itself is not checked.
# Usage: bench.sh <bin_dir>
# "The documents": README.md#the-documents.
set -u
bench=${1:?usage: bench.sh <bin_dir>}/bench
source "$(dirname "$0")/common.bash"

# expect_error <pattern in stderr> <args...>: exit code 2, the pattern in the message, no stdout.
expect_error() {
  local pattern=$1; shift
  local out err rc
  out=$("$bench" "$@" 2>"$tmp/err"); rc=$?; err=$(cat "$tmp/err")
  if [[ $rc -ne 2 ]]; then fail "bench $* exited $rc, expected 2; stderr: $err"; return; fi
  if ! grep -qF -- "$pattern" <<<"$err"; then fail "bench $*: stderr lacks '$pattern': $err"; return; fi
  [[ -z "$out" ]] || { fail "bench $* printed to stdout: $out"; return; }
  pass "bench $* -> 2: $(head -c 140 <<<"$err")"
}

expect_error "--batch-sizes: expected comma-separated positive batch sizes" --batch-sizes 0
expect_error "--batch-sizes: expected" --batch-sizes 32,,256
expect_error "--batch-sizes: expected" --batch-sizes 32,abc
expect_error "--threads: expected comma-separated thread counts, each 1 or 2" --threads 1,3
expect_error "--seconds: expected a positive number of seconds, got '0'" --seconds 0
expect_error "--seconds: expected a positive number of seconds, got 'abc'" --seconds abc
expect_error "HINT: bench --help lists the flags" --bogus
expect_error "unexpected argument 'stray'" stray

out=$("$bench" --help); rc=$?
[[ $rc -eq 0 ]] && grep -qF -- "--batch-sizes" <<<"$out" && pass "--help lists the flags" \
  || fail "--help exited $rc: $out"

# Data: a --data that is given must be a usable CSV for the documents' model.
expect_error "absent.csv: no such file" --data "$tmp/absent.csv"
mkdir "$tmp/adir.csv"
expect_error "is a directory" --data "$tmp/adir.csv"
printf 'label,p1,p2\n1,2,3\n' >"$tmp/one_row.csv"
expect_error "1 row, too few for --batch-sizes up to 32" --data "$tmp/one_row.csv" --batch-sizes 32
printf 'label,p1,p2\n1,2,3\n12,4,5\n3,6,7\n' >"$tmp/labels.csv"
expect_error "labels go up to 12, but the documents' model has 10 classes" --data "$tmp/labels.csv" --batch-sizes 2
printf 'label,p1\n1,2\n3,x\n' >"$tmp/text.csv"
expect_error "text.csv:3: column 2 ('p1') holds 'x'" --data "$tmp/text.csv"
expect_error "--data and --synthetic exclude each other" --data "$tmp/text.csv" --synthetic
expect_error "--model: expected mlp or cnn, got 'resnet'" --model resnet
printf 'label,p1,p2\n1,2,3\n2,4,5\n' >"$tmp/two_pixels.csv"
expect_error "2 features per row, but --model cnn takes 1x28x28 images" --data "$tmp/two_pixels.csv" --model cnn --batch-sizes 2

out=$("$bench" --synthetic --batch-sizes 16 --threads 1,2 --seconds 0.05 --json 2>&1)
rc=$?
if [[ $rc -ne 0 ]]; then
  fail "a tiny synthetic run exited $rc: $out"
else
  for field in '"backend": "backend: ' '"data": "synthetic' '"batch_size": 16' '"threads": 2' \
               '"samples_per_second"' '"inference": [' '"inference_samples_per_second"' \
               '"peak_rss_mb"'; do
    grep -qF -- "$field" <<<"$out" && pass "JSON has $field" || fail "JSON lacks $field: $out"
  done
fi

# --load N: the thread choice beside N busy processes; --hidden: other widths. A tiny table keeps
# these runs short.
expect_error "--load: expected a number of busy processes from 0 to 8, got '9'" --load 9
expect_error "--load: expected a number of busy processes from 0 to 8" --load -1
expect_error "--hidden: expected comma-separated positive layer widths" --hidden 32,0
expect_error "--hidden sets the MLP's widths" --hidden 32 --model cnn
awk 'BEGIN { for (i = 0; i < 16; i++) print i % 3 "," i "," 2 * i "," 16 - i }' >"$tmp/tiny.csv"
out=$("$bench" --data "$tmp/tiny.csv" --load 1 --batch-sizes 4 --seconds 0.02 --rounds 2 --json 2>&1)
rc=$?
if [[ $rc -ne 0 ]]; then
  fail "a tiny --load run exited $rc: $out"
else
  for field in '"load_processes": 1' '"rounds": 2' '"threads_1"' '"threads_2"' '"auto"' \
               '"auto_over_best"' '"auto_ended_on"' '"load_average_before"'; do
    grep -qF -- "$field" <<<"$out" && pass "--load JSON has $field" || fail "--load JSON lacks $field: $out"
  done
fi
out=$("$bench" --data "$tmp/tiny.csv" --hidden 8,4,4 --batch-sizes 4 --threads 1 --seconds 0.01 --json 2>&1)
grep -qF '"batch_size": 4' <<<"$out" && grep -qzF $'"hidden": [\n    8,\n    4,\n    4\n  ]' <<<"$out" \
  && pass "--hidden 8,4,4 trains and is reported" || fail "--hidden run: $out"

# --sgemm-bound: one sgemm a thread count at least, the bound and each row's share of it; a build
# with the reference backend alone has no OpenBLAS to time, and says so.
out=$("$bench" --synthetic --batch-sizes 16 --threads 1 --seconds 0.01 --sgemm-bound --json 2>&1)
rc=$?
if [[ $rc -eq 2 && "$out" == *"--sgemm-bound times OpenBLAS, which this build leaves out"* ]]; then
  pass "--sgemm-bound in a build without OpenBLAS -> 2: $out"
elif [[ $rc -ne 0 ]]; then
  fail "a tiny --sgemm-bound run exited $rc: $out"
else
  for field in '"sgemm_bound"' '"flop_per_sample": 454400' '"gflops"' \
               '"bound_samples_per_second"' '"share_of_sgemm_bound"'; do
    grep -qF -- "$field" <<<"$out" && pass "--sgemm-bound JSON has $field" \
      || fail "--sgemm-bound JSON lacks $field: $out"
  done
fi
if [[ $rc -ne 2 ]]; then
  # --model cnn: the convolutional model's rows and its own FLOP count.
  out=$("$bench" --synthetic --model cnn --batch-sizes 4 --threads 1 --seconds 0.01 --sgemm-bound --json 2>&1)
  cnn_rc=$?
  if [[ $cnn_rc -ne 0 ]]; then
    fail "a tiny --model cnn run exited $cnn_rc: $out"
  else
    for field in '"model": "cnn"' '"flop_per_sample": 24995328' '"batch_size": 4'; do
      grep -qF -- "$field" <<<"$out" && pass "--model cnn JSON has $field" \
        || fail "--model cnn JSON lacks $field: $out"
    done
  fi
  out=$("$bench" --synthetic --batch-sizes 16 --threads 1 --seconds 0.01 --sgemm-bound 2>/dev/null)
  grep -qF "share of the sgemm bound" <<<"$out" && grep -qF "sgemm bound (OpenBLAS" <<<"$out" \
    && pass "--sgemm-bound table names the bound and the share" \
    || fail "--sgemm-bound table lacks the bound or the share: $out"
fi

# --gemm: the kernels alone, side by side with OpenBLAS, in tensor or malloc memory.
out=$("$bench" --gemm --gemm-sizes 8x16x24 --threads 1,2 --rounds 1 --seconds 0.01 --json 2>&1)
rc=$?
if [[ $rc -eq 2 && "$out" == *"--gemm needs the fast backend"* ]]; then
  pass "--gemm in a build without the fast backend -> 2: $out"
else
  expect_error "--gemm-sizes: expected comma-separated sizes, each N or MxNxK" --gemm --gemm-sizes 8x16
  expect_error "--gemm-sizes: expected" --gemm --gemm-sizes 0
  expect_error "--gemm-memory: expected tensor or malloc, got 'huge'" --gemm --gemm-memory huge
  if [[ $rc -ne 0 ]]; then
    fail "a tiny --gemm run exited $rc: $out"
  else
    for field in '"memory": "tensor"' '"form": "A·Bᵀ"' '"form": "Aᵀ·B"' '"m": 8' '"n": 16' \
                 '"k": 24' '"threads": 2' '"minigrad_per_cpu_second"' '"openblas"' '"ratio"'; do
      grep -qF -- "$field" <<<"$out" && pass "--gemm JSON has $field" || fail "--gemm JSON lacks $field: $out"
    done
  fi
  out=$("$bench" --gemm --gemm-memory malloc --gemm-sizes 8 --threads 1 --rounds 1 --seconds 0.01 2>/dev/null)
  grep -qF "Matrices in malloc memory (4 KiB pages)" <<<"$out" && grep -qF "| A·B | 8 x 8 x 8 | 1 |" <<<"$out" \
    && pass "--gemm --gemm-memory malloc prints its table" || fail "--gemm-memory malloc table: $out"
fi

finish "bench"
