/* The shared library the application links: one probed function. */
long probed_lib_mul(long a, long b)
{
	long r = a * b;

	return r + 1;
}
