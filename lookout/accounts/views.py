"""Placeholder views; replaced by the accounts slice."""

from django.http import HttpRequest, HttpResponse


def login_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("login")


def logout_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("logout")


def signup_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("signup")


def otp_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("otp")


def centre_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("centre")
