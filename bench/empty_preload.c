/* An LD_PRELOAD library that does nothing: the start-up cost any preload library pays
 * (open, map, relocate one more object), the floor for src_vipa.so's /bin/true ratio. */
int bench_empty_preload_marker;
