# Agreement study (optional: two or more agreement.annotations): pairwise IoU of annotation sets.


rule agreement:
    input:
        unpack(get_agreement_annotations),
    output:
        table="results/agreement/agreement.csv",
        heatmap=report(
            "results/agreement/agreement.png",
            caption="../report/agreement.rst",
            category="Agreement",
        ),
    log:
        "logs/agreement/agreement.log",
    benchmark:
        "results/benchmarks/agreement/agreement.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        settings=settings_of("agreement"),
    script:
        "../scripts/agreement.py"
