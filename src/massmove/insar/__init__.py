"""massmove's built-in interferometric engine (numpy): coregistration to geocoded product."""
