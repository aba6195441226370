from hypothesis import given
from hypothesis import strategies as st

from appeals_intake.domain.iin import check_digit, iin_problem

eleven_digits = st.builds(
    lambda yy, mm, dd, c, serial: f"{yy:02d}{mm:02d}{dd:02d}{c}{serial:04d}",
    st.integers(0, 99), st.integers(1, 12), st.integers(1, 28), st.integers(1, 6), st.integers(0, 9999))


@given(eleven_digits)
def test_a_number_with_its_check_digit_is_valid_and_any_other_last_digit_is_not(first):
    digit = check_digit(first)
    if digit is None:
        assert all(iin_problem(first + str(d)) for d in range(10))
        return
    assert iin_problem(first + str(digit)) is None
    for other in set(range(10)) - {digit}:
        assert iin_problem(first + str(other)) == "check digit does not match"


@given(eleven_digits)
def test_at_most_one_final_digit_completes_a_number(first):
    completing = [d for d in range(10) if iin_problem(first + str(d)) is None]
    assert len(completing) <= 1


def test_the_second_weight_set_is_used_when_the_first_gives_ten():
    # 1*0+2*0+3*0+4*0+5*0+6*0+7*0+8*0+9*0+10*1+11*0 = 10 -> weights 3..11,1,2: 1*1 = 1
    assert check_digit("00000000010") == 1


def test_shape_errors():
    assert iin_problem("12345") == "must be exactly 12 digits"
    assert iin_problem("90130130000a") == "must be exactly 12 digits"
    assert "birth date" in iin_problem("901301300007")
    assert "7th digit" in iin_problem("900101900007")
