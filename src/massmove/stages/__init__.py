"""The stage layer: one function per workflow rule, one module per rule family
(``workflow/rules/{family}.smk`` -> ``massmove.stages.{family}``). Snakemake scripts
(``workflow/scripts``) call these; so can a notebook or a test. Each takes the
:class:`massmove.settings.StageSettings` of its rule (the config keys it reads, declared in
:data:`massmove.settings.STAGE_KEYS`) and paths. Stage modules import no other stage module, and
nothing imports this layer back.

==========================  ===============================================  ====================
rule                        function                                         module
==========================  ===============================================  ====================
pair_table                  pairs_stage                                      stages.simulate
simulate_ground             simulate_ground_stage                            stages.simulate
simulate                    simulate_acquisition_stage                       stages.simulate
simulate_truth              simulate_truth_stage                             stages.simulate
interferogram (builtin)     interferogram_stage                              stages.interferogram
search                      search_stage                                     stages.search
download                    download_stage                                   stages.download
download_bursts             download_bursts_stage                            stages.download
assemble_safe               assemble_safe_stage                              stages.download
orbit                       orbit_stage                                      stages.download
dem                         dem_stage                                        stages.download
snap_graph                  snap_graph_stage                                 stages.snap
interferogram (snap)        snap_interferogram_stage                         stages.snap
hyp3_product                hyp3_product_stage                               stages.hyp3
interferogram (hyp3)        hyp3_interferogram_stage                         stages.hyp3
files_pairs                 files_pairs_stage                                stages.files
import_interferogram        import_interferogram_stage                       stages.files
training_scene              training_scene_stage                             stages.model
calibration_scene           training_scene_stage                             stages.model
train                       train_stage                                      stages.model
segment (both detectors)    segment_stage                                    stages.model
calibrate                   calibrate_stage                                  stages.model
vectorise                   vectorise_stage                                  stages.detect
merge_detections            merge_stage                                      stages.detect
evaluate_pair               evaluate_pair_stage                              stages.evaluate
evaluation                  evaluation_stage                                 stages.evaluate
agreement                   agreement_stage                                  stages.agreement
report                      report_stage                                     stages.report
raster_styles               raster_styles_stage                              stages.report
qgis_project                qgis_project_stage                               stages.report
provenance                  provenance_stage                                 stages.provenance
audit                       audit_stage                                      stages.provenance
==========================  ===============================================  ====================
"""
