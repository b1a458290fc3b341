# Thin wrappers over scripts/ (the scripts are the source of truth).
.PHONY: build run test clean
build:
	scripts/build.sh dev
run:
	scripts/run.sh
test:
	scripts/test.sh
clean:
	rm -rf build
