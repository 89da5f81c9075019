import re

from config_service.domain.secrets import hash_secret, new_secret


def test_a_secret_carries_256_random_bits_after_its_prefix():
    first, second = new_secret(), new_secret()
    assert re.fullmatch(r"cfg_[A-Za-z0-9_-]{43}", first) and first != second


def test_only_a_sha256_of_it_is_kept():
    # sha256("abc"), the FIPS 180-2 test vector
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert re.fullmatch(r"[0-9a-f]{64}", hash_secret("cfg_x")) and hash_secret("cfg_x") != hash_secret("cfg_y")
